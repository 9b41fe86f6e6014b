/** Views contributed beside the shell's own (signals/junction, footfall): add them to this list. */
import type { DashboardView } from './registry.ts';

export const extraViews: DashboardView[] = [];
