/**
 * The shell's side of the view registry: builds the `ViewContext` handed to each view (translator with the view's
 * own strings, locale formats, API access with translated actionable errors, the shared period, the one
 * loading/empty/error pattern).
 */
import { type Api, ApiError } from './api.ts';
import { errorText, formats, type Lang, translator } from './i18n.ts';
import type { DashboardView, DashRole, ViewContext } from './views/registry.ts';

/** The one loading/empty/error pattern: replaces the element's content; `data-state` says which state is shown. */
export function showState(
  el: HTMLElement,
  state: 'loading' | 'empty' | 'error',
  message: string | undefined,
  lang: Lang,
): void {
  const t = translator(lang);
  const text = message ?? t(state === 'loading' ? 'loading' : state === 'empty' ? 'noData' : 'errorGeneric');
  el.dataset.state = state;
  const spinner = state === 'loading' ? '<span class="spinner" aria-hidden="true"></span>' : '';
  el.innerHTML = `<div class="state state-${state}" role="${state === 'error' ? 'alert' : 'status'}">${spinner}<span></span></div>`;
  (el.querySelector('.state span:last-child') as HTMLElement).textContent = text;
}

/** A translated, actionable message for an API error (the server's English message is never shown in French). */
export function userMessage(e: unknown, lang: Lang): string {
  if (e instanceof ApiError) return errorText(e.code, e.status, lang);
  return errorText('PASSAGE_NETWORK', 0, lang);
}

export interface ShellState {
  lang: Lang;
  role: DashRole;
  period: { from: string; to: string };
  timezone: string;
}

export function makeContext(
  view: DashboardView,
  shell: ShellState,
  api: Api,
  subscribe: (cb: (p: { from: string; to: string }) => void) => () => void,
): ViewContext {
  const lang = shell.lang;
  const base = translator(lang);
  const own = view.strings?.[lang] ?? {};
  const f = formats(lang, shell.timezone);
  return {
    lang,
    role: shell.role,
    t: (key, vars) => {
      let s = own[key] ?? base(key);
      if (vars)
        for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, typeof v === 'number' ? f.number(v) : v);
      return s;
    },
    fmt: { number: f.number, date: (d) => f.date(d.getTime()), time: (d) => f.time(d.getTime()) },
    fetchJson: async <T>(path: string, params?: Record<string, string>) => {
      try {
        return await api.get<T>(path, params);
      } catch (e) {
        throw new Error(userMessage(e, lang));
      }
    },
    period: { ...shell.period },
    onPeriodChange: subscribe,
    showState: (el, state, message) => showState(el, state, message, lang),
  };
}
