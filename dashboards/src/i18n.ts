/** French and English strings of the dashboard. */
export type Lang = 'fr' | 'en';

const en = {
  title: 'Passage — mobility flows',
  tabMap: 'Flow map',
  tabIntersection: 'Intersection',
  tabExports: 'Open data',
  apiKey: 'API key',
  apiKeyHint: 'optional: planner or traffic key for 15-minute data, turning movements and live updates',
  time: 'Time',
  play: 'Play',
  pause: 'Pause',
  modes: 'Modes',
  minFlow: 'Minimum flow',
  flows: 'flows',
  hidden: 'cells hidden (below k)',
  flow: 'Expanded flow',
  ci95: '95 % interval',
  observed: 'Observed trips',
  stdErr: 'std. error',
  travelTime: 'Median travel time',
  volume: 'Volume',
  site: 'Site',
  clickSite: 'Click a site to see its counts over time.',
  siteChart: 'Counts over time',
  intersection: 'Junction',
  peakHour: 'Peak hour',
  phf: 'Peak-hour factor (PHF)',
  downloadCsv: 'Download the 15-minute table (CSV)',
  needKey: 'This view needs an API key of role planner or traffic.',
  interval: 'Interval',
  total: 'Total',
  exportsIntro:
    'Open data under the Licence Ouverte 2.0 (Etalab): k-anonymous aggregates, hourly or coarser. Counting data follows the national counting schema (transport.data.gouv.fr).',
  from: 'From',
  to: 'To',
  live: 'Live',
  liveOff: 'live updates need an API key',
  pedestrian: 'pedestrians',
  bicycle: 'bicycles',
  motorcycle: 'motorcycles',
  car: 'cars',
  van: 'vans',
  truck: 'trucks',
  bus: 'buses',
  noData: 'No data for this selection.',
  basemapNote: 'Base map: scenario streets and zones; communes © IGN Admin Express 2018 (Licence Ouverte).',
  basemapNoteStyle: 'Base map: the configured MapLibre style (credits on the map); OD zones of the scenario.',
  clusterFlows: 'Cluster flows',
  clusterHint: 'Merge zones that are close on screen and sum their flows; zoom in to expand the clusters.',
  clusters: 'clusters',
  clusterZones: 'Zones',
  internalFlow: 'Flow within the cluster',
  loading: 'Loading…',
  errorGeneric: 'Something went wrong: reload the page; if it persists, tell the administrator.',
  views: 'Views',
  viewNotAllowed: 'This view needs another role: enter a key of the right role in the API key field.',
  badKeyDropped: 'The API key was refused and forgotten: the public view is shown. Check the key and enter it again.',
  role: 'Role',
  rolePublic: 'public',
  rolePlanner: 'planner',
  roleTraffic: 'traffic engineer',
  'roleData-officer': 'data officer',
  roleAdmin: 'administrator',
};
export type Key = keyof typeof en;

const fr: Record<Key, string> = {
  title: 'Passage — flux de mobilité',
  tabMap: 'Carte des flux',
  tabIntersection: 'Carrefour',
  tabExports: 'Données ouvertes',
  apiKey: 'Clé d’API',
  apiKeyHint:
    'facultative : clé planificateur ou trafic pour les données au quart d’heure, les mouvements tournants et le direct',
  time: 'Heure',
  play: 'Lecture',
  pause: 'Pause',
  modes: 'Modes',
  minFlow: 'Flux minimal',
  flows: 'flux',
  hidden: 'cellules masquées (sous k)',
  flow: 'Flux redressé',
  ci95: 'intervalle à 95 %',
  observed: 'Trajets observés',
  stdErr: 'écart-type',
  travelTime: 'Temps de parcours médian',
  volume: 'Volume',
  site: 'Site',
  clickSite: 'Cliquez sur un site pour voir ses comptages dans le temps.',
  siteChart: 'Comptages dans le temps',
  intersection: 'Carrefour',
  peakHour: 'Heure de pointe',
  phf: 'Facteur d’heure de pointe (FHP)',
  downloadCsv: 'Télécharger le tableau au quart d’heure (CSV)',
  needKey: 'Cette vue demande une clé d’API de rôle planificateur ou trafic.',
  interval: 'Pas de temps',
  total: 'Total',
  exportsIntro:
    'Données ouvertes sous Licence Ouverte 2.0 (Etalab) : agrégats k-anonymes, à l’heure ou plus grossiers. Les comptages suivent le schéma national de comptage des mobilités (transport.data.gouv.fr).',
  from: 'Du',
  to: 'Au',
  live: 'Direct',
  liveOff: 'le direct demande une clé d’API',
  pedestrian: 'piétons',
  bicycle: 'vélos',
  motorcycle: 'deux-roues motorisés',
  car: 'voitures',
  van: 'utilitaires',
  truck: 'poids lourds',
  bus: 'bus',
  noData: 'Pas de données pour cette sélection.',
  basemapNote: 'Fond : rues et zones du scénario ; communes © IGN Admin Express 2018 (Licence Ouverte).',
  basemapNoteStyle: 'Fond : le style MapLibre configuré (crédits sur la carte) ; zones OD du scénario.',
  clusterFlows: 'Regrouper les flux',
  clusterHint: 'Fusionne les zones proches à l’écran et additionne leurs flux ; zoomez pour déplier les groupes.',
  clusters: 'groupes',
  clusterZones: 'Zones',
  internalFlow: 'Flux internes au groupe',
  loading: 'Chargement…',
  errorGeneric: 'Une erreur est survenue : rechargez la page ; si elle persiste, prévenez l’administrateur.',
  views: 'Vues',
  viewNotAllowed: 'Cette vue demande un autre rôle : saisissez une clé du bon rôle dans le champ clé d’API.',
  badKeyDropped:
    'La clé d’API a été refusée et oubliée : la vue publique est affichée. Vérifiez la clé et saisissez-la à nouveau.',
  role: 'Rôle',
  rolePublic: 'public',
  rolePlanner: 'planificateur',
  roleTraffic: 'ingénieur trafic',
  'roleData-officer': 'responsable des données',
  roleAdmin: 'administrateur',
};

export const DICT: Record<Lang, Record<Key, string>> = { en, fr };

export function translator(lang: Lang): (k: string) => string {
  const d = DICT[lang];
  return (k: string) => (d as Record<string, string>)[k] ?? k;
}

/** Time of day in the scenario's zone, e.g. 08:15. */
export function clock(t: number, timeZone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(t));
}

const ERRORS: Record<Lang, Record<string, string>> = {
  en: {
    PASSAGE_AUTH_REQUIRED: 'This needs an API key: enter a key of the right role in the API key field.',
    PASSAGE_FORBIDDEN: 'Your key’s role may not see this: ask an administrator for a key of the right role.',
    PASSAGE_BAD_KEY: 'The API key is not valid: check it or ask an administrator for a key.',
    PASSAGE_BAD_RANGE:
      'The period is not valid or too long for this interval: choose a shorter period or a coarser interval.',
    PASSAGE_BAD_TIME: 'A date is not valid: correct the period.',
    PASSAGE_BAD_REQUEST: 'The request was refused: reset the filters (reload the page) and try again.',
    PASSAGE_RATE_LIMITED: 'Too many requests this minute: wait a minute and try again.',
    PASSAGE_AUTH_RATE_LIMITED: 'Too many wrong keys from this address: wait a minute before entering a key.',
    PASSAGE_STORE_UNAVAILABLE: 'The data store does not answer: try again in a few minutes or tell the administrator.',
    PASSAGE_SITE_NOT_FOUND: 'This site does not exist (any more): choose another one.',
    PASSAGE_NOT_FOUND: 'The server does not offer this (older version?): tell the administrator.',
    PASSAGE_NETWORK: 'The server cannot be reached: check your connection and reload the page.',
    other: 'The server could not answer: try again; if it persists, tell the administrator.',
  },
  fr: {
    PASSAGE_AUTH_REQUIRED: 'Il faut une clé d’API : saisissez une clé du bon rôle dans le champ clé d’API.',
    PASSAGE_FORBIDDEN:
      'Le rôle de votre clé ne permet pas de voir ceci : demandez une clé du bon rôle à un administrateur.',
    PASSAGE_BAD_KEY: 'La clé d’API n’est pas valide : vérifiez-la ou demandez une clé à un administrateur.',
    PASSAGE_BAD_RANGE:
      'La période n’est pas valide ou trop longue pour ce pas de temps : choisissez une période plus courte ou un pas plus grossier.',
    PASSAGE_BAD_TIME: 'Une date n’est pas valide : corrigez la période.',
    PASSAGE_BAD_REQUEST: 'La requête a été refusée : réinitialisez les filtres (rechargez la page) et réessayez.',
    PASSAGE_RATE_LIMITED: 'Trop de requêtes cette minute : attendez une minute et réessayez.',
    PASSAGE_AUTH_RATE_LIMITED:
      'Trop de clés erronées depuis cette adresse : attendez une minute avant de saisir une clé.',
    PASSAGE_STORE_UNAVAILABLE:
      'La base de données ne répond pas : réessayez dans quelques minutes ou prévenez l’administrateur.',
    PASSAGE_SITE_NOT_FOUND: 'Ce site n’existe pas (ou plus) : choisissez-en un autre.',
    PASSAGE_NOT_FOUND: 'Le serveur ne propose pas ceci (ancienne version ?) : prévenez l’administrateur.',
    PASSAGE_NETWORK: 'Le serveur est injoignable : vérifiez votre connexion et rechargez la page.',
    other: 'Le serveur n’a pas pu répondre : réessayez ; si cela persiste, prévenez l’administrateur.',
  },
};

/** Translated, actionable text of an API error code (never the server's English message). */
export function errorText(code: string, _status: number, lang: Lang): string {
  return ERRORS[lang][code] ?? ERRORS[lang].other;
}

/** Locale formats: numbers (French decimal comma and thin-space thousands), dates and times in the scenario zone. */
export function formats(lang: Lang, timeZone: string) {
  const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';
  const nf = new Map<number, Intl.NumberFormat>();
  const date = new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', year: 'numeric' });
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' });
  return {
    locale,
    number: (n: number, digits = 0): string => {
      let f = nf.get(digits);
      if (!f) {
        f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
        nf.set(digits, f);
      }
      return f.format(n);
    },
    date: (t: number): string => date.format(new Date(t)),
    time: (t: number): string => time.format(new Date(t)),
  };
}
