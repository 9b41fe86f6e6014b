/**
 * View registry: every dashboard view (the shell's own and the ones in ./extra.ts) is a `DashboardView` mounted by
 * the shell into its own section with a `ViewContext` (language, role, translator, locale formats, API access, the
 * shell's period, and the one loading/empty/error pattern). The shell renders the navigation from the registry and
 * shows a view only to the roles it lists.
 */
export type Lang = 'fr' | 'en';
export type DashRole = 'public' | 'planner' | 'traffic' | 'data-officer' | 'admin';

export interface ViewContext {
  lang: Lang;
  role: DashRole;
  /** Looks up the view's own strings first, then the shell's; `{name}` placeholders are replaced by `vars`. */
  t(key: string, vars?: Record<string, string | number>): string;
  /** Locale formats of the current language (French: decimal comma, narrow no-break space for thousands). */
  fmt: { number(n: number, digits?: number): string; date(d: Date): string; time(d: Date): string };
  /** GET on the API with the key; throws an Error whose message is translated and says what to do. */
  fetchJson<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** The shell's date/period picker (ISO instants). */
  period: { from: string; to: string };
  /** Called when the shell's period changes; returns the unsubscribe function. */
  onPeriodChange(cb: (p: { from: string; to: string }) => void): () => void;
  /** The one loading/empty/error pattern: replaces the content of `el` (no stale data stays shown). */
  showState(el: HTMLElement, state: 'loading' | 'empty' | 'error', message?: string): void;
}

export interface DashboardView {
  id: string;
  title: Record<Lang, string>;
  roles: DashRole[];
  strings?: Record<Lang, Record<string, string>>;
  mount(el: HTMLElement, ctx: ViewContext): { unmount(): void; setLang?(lang: Lang): void };
}

/** Views `role` may open (admin sees all). */
export function viewsFor(views: readonly DashboardView[], role: DashRole): DashboardView[] {
  return views.filter((v) => role === 'admin' || v.roles.includes(role));
}
