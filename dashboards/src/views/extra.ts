/** Views contributed beside the shell's own (signals/junction, footfall): add them to this list. */
import { footfallView } from './footfall.ts';
import type { DashboardView } from './registry.ts';
import { signalsView } from './signals.ts';

export const extraViews: DashboardView[] = [signalsView, footfallView];
