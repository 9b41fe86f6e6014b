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
