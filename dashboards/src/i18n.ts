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
  clickSite: 'Click a site (or find it above) to see its counts over the period.',
  siteChart: 'Counts over the period, per {iv}',
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
  liveOff: 'live updates need a planner or traffic key',
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
  period: 'Period',
  periodFrom: 'From',
  periodTo: 'To',
  apply: 'Apply',
  compare: 'Compare with another period',
  timesIn: 'Times in {tz}',
  iv15m: '15 minutes',
  iv1h: '1 hour',
  iv1d: '1 day',
  step: 'Step',
  wholePeriod: 'whole period',
  odGroup: 'Travellers',
  groupAll: 'All travellers (Wi-Fi/BLE)',
  groupMotor: 'Motor vehicles (plate readers)',
  allModes: 'All modes',
  odViewMap: 'Map',
  odViewMatrix: 'Matrix',
  legendTitle: 'Flow (trips expanded to all travellers)',
  legendOrigin: 'origin',
  legendDestination: 'destination',
  legendScaleFixed: 'Width scale fixed over the period (same width = same flow at every step).',
  legendScaleTotal: 'Widths of the totals over the whole period.',
  totalTrips: 'Total trips',
  nFlows_one: '{n} flow',
  nFlows_other: '{n} flows',
  nHidden_one: '{n} cell hidden (below k)',
  nHidden_other: '{n} cells hidden (below k)',
  nClusters_one: '{n} cluster',
  nClusters_other: '{n} clusters',
  vsCompare: 'comparison period: {n} ({p})',
  clickZone: 'Click a zone (disc or name) to see its incoming and outgoing flows.',
  clickZoneShort: 'Click to see its incoming and outgoing flows',
  clearZone: 'All zones',
  zoneIn: 'Incoming',
  zoneOut: 'Outgoing',
  byOrigin: 'Incoming by origin (share)',
  byDestination: 'Outgoing by destination (share)',
  matrixCaption: 'Trips from origin (rows) to destination (columns)',
  matrixCorner: 'Origin ↓ destination →',
  matrixNote: '· = no published cell (no trip, or hidden below k).',
  exportShown: 'Export what is shown',
  exportPng: 'Image (PNG)',
  exportCsv: 'Table (CSV)',
  share: 'Link to this view',
  linkReady: 'Link copied: it opens this period, selection and view (never your key).',
  siteSearch: 'Find a site',
  sitesTitle: 'Counting sites',
  odEmpty: 'No published flow for this period and these travellers: choose another period or group.',
  storeEmpty: 'The store holds no data yet: run the demo (passage demo) or ingest data, then reload this page.',
  badPeriod: 'The end of the period must be after its start.',
  chartUnit: 'Counts entering the site per interval (all modes).',
  sensorHealth: 'Sensor health',
  health_ok: 'working',
  health_gaps: 'gaps in the reports',
  health_silent: 'no report in the period',
  health_faulty: 'fault flagged',
  healthGaps: '{n} of {total} intervals without a report',
  healthEvents: 'flagged {spans}',
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
  clickSite: 'Cliquez sur un site (ou cherchez-le ci-dessus) pour voir ses comptages sur la période.',
  siteChart: 'Comptages sur la période, par pas de {iv}',
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
  liveOff: 'le direct demande une clé planificateur ou trafic',
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
  period: 'Période',
  periodFrom: 'Du',
  periodTo: 'Au',
  apply: 'Appliquer',
  compare: 'Comparer avec une autre période',
  timesIn: 'Heures de {tz}',
  iv15m: '15 minutes',
  iv1h: '1 heure',
  iv1d: '1 jour',
  step: 'Pas',
  wholePeriod: 'toute la période',
  odGroup: 'Voyageurs',
  groupAll: 'Tous les voyageurs (Wi-Fi/BLE)',
  groupMotor: 'Véhicules motorisés (lecture de plaques)',
  allModes: 'Tous les modes',
  odViewMap: 'Carte',
  odViewMatrix: 'Matrice',
  legendTitle: 'Flux (déplacements redressés à tous les voyageurs)',
  legendOrigin: 'origine',
  legendDestination: 'destination',
  legendScaleFixed: 'Échelle des largeurs fixe sur la période (même largeur = même flux à chaque pas).',
  legendScaleTotal: 'Largeurs des totaux sur toute la période.',
  totalTrips: 'Total des déplacements',
  nFlows_one: '{n} flux',
  nFlows_other: '{n} flux',
  nHidden_one: '{n} cellule masquée (sous k)',
  nHidden_other: '{n} cellules masquées (sous k)',
  nClusters_one: '{n} groupe',
  nClusters_other: '{n} groupes',
  vsCompare: 'période de comparaison : {n} ({p})',
  clickZone: 'Cliquez sur une zone (disque ou nom) pour voir ses flux entrants et sortants.',
  clickZoneShort: 'Cliquez pour voir ses flux entrants et sortants',
  clearZone: 'Toutes les zones',
  zoneIn: 'Entrants',
  zoneOut: 'Sortants',
  byOrigin: 'Entrants par origine (part)',
  byDestination: 'Sortants par destination (part)',
  matrixCaption: 'Déplacements de l’origine (lignes) vers la destination (colonnes)',
  matrixCorner: 'Origine ↓ destination →',
  matrixNote: '· = aucune cellule publiée (aucun déplacement, ou masquée sous k).',
  exportShown: 'Exporter ce qui est affiché',
  exportPng: 'Image (PNG)',
  exportCsv: 'Tableau (CSV)',
  share: 'Lien vers cette vue',
  linkReady: 'Lien copié : il ouvre cette période, cette sélection et cette vue (jamais votre clé).',
  siteSearch: 'Trouver un site',
  sitesTitle: 'Sites de comptage',
  odEmpty: 'Aucun flux publié pour cette période et ces voyageurs : choisissez une autre période ou un autre groupe.',
  storeEmpty:
    'La base ne contient pas encore de données : lancez la démo (passage demo) ou importez des données, puis rechargez la page.',
  badPeriod: 'La fin de la période doit être après son début.',
  chartUnit: 'Comptages entrant sur le site par pas de temps (tous modes).',
  sensorHealth: 'État des capteurs',
  health_ok: 'en service',
  health_gaps: 'relevés manquants',
  health_silent: 'aucun relevé sur la période',
  health_faulty: 'défaut signalé',
  healthGaps: '{n} pas de temps sans relevé sur {total}',
  healthEvents: 'signalé {spans}',
};

export const DICT: Record<Lang, Record<Key, string>> = { en, fr };

export type Translate = (k: string, vars?: Record<string, string | number>) => string;

/** Looks a key up; `{name}` placeholders are replaced by `vars`. A missing key shows as itself (the FR test finds it). */
export function translator(lang: Lang): Translate {
  const d = DICT[lang] as Record<string, string>;
  return (k, vars) => {
    let s = d[k] ?? k;
    if (vars) for (const [n, v] of Object.entries(vars)) s = s.replaceAll(`{${n}}`, String(v));
    return s;
  };
}

const RULES: Record<Lang, Intl.PluralRules> = {
  en: new Intl.PluralRules('en-GB'),
  fr: new Intl.PluralRules('fr-FR'),
};

/** `key_one` / `key_other` by the language's plural rule (French: 0 and 1 are singular), `{n}` = `shown`. */
export function plural(lang: Lang, key: string, n: number, shown: string): string {
  const d = DICT[lang] as Record<string, string>;
  const k = `${key}_${RULES[lang].select(n)}`;
  return (d[k] ?? d[`${key}_other`] ?? key).replaceAll('{n}', shown);
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
