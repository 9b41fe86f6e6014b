/**
 * Detector class labels of other conventions → Passage's labels: COCO's `person`, `bicycle`, `car`, `motorcycle`,
 * `bus`, `truck` (the vote classes, `DETECTOR_CLASSES`), plus `van` and a generic `vehicle`. Cameras name the same
 * road user differently (DeepStream's `Vehicle`/`Person`/`Roadsign`, BDD100K's `motor`/`bike`, VOC's `motorbike`,
 * vendors' `Car`, `LGV`, French `voiture`, `vélo`, `poids lourd`…): one normalisation, applied where a frame enters
 * the camera pipeline (`CameraPipeline.processFrame`) and by the ingest adapters, so every path reads one vocabulary.
 * Unknown labels are kept lower-cased (the tracker groups them apart; the mode classifier decides). `rider` is kept:
 * a rider's box is handled by the pipeline's rider rule only when labelled `person`, and a detector that names
 * riders apart has its own convention the vote does not cover.
 */
const CLASS_ALIASES: Readonly<Record<string, string>> = {
  person: 'person',
  pedestrian: 'person',
  people: 'person',
  pieton: 'person',
  bicycle: 'bicycle',
  bike: 'bicycle',
  ebike: 'bicycle',
  twowheeler: 'bicycle',
  cyclist: 'bicycle',
  cycliste: 'bicycle',
  velo: 'bicycle',
  car: 'car',
  sedan: 'car',
  suv: 'car',
  coupe: 'car',
  hatchback: 'car',
  convertible: 'car',
  taxi: 'car',
  voiture: 'car',
  vl: 'car',
  vehiculeleger: 'car',
  van: 'van',
  minivan: 'van',
  lgv: 'van',
  lcv: 'van',
  camionnette: 'van',
  utilitaire: 'van',
  truck: 'truck',
  lorry: 'truck',
  pickup: 'truck',
  hgv: 'truck',
  trailer: 'truck',
  camion: 'truck',
  pl: 'truck',
  poidslourd: 'truck',
  bus: 'bus',
  coach: 'bus',
  autobus: 'bus',
  autocar: 'bus',
  motorcycle: 'motorcycle',
  motorbike: 'motorcycle',
  motor: 'motorcycle',
  moto: 'motorcycle',
  moped: 'motorcycle',
  scooter: 'motorcycle',
  vehicle: 'vehicle',
};

/** Labels seen so far → their normal form (bounded: a stream of garbage labels does not grow it without end). */
const seen = new Map<string, string>();
const SEEN_MAX = 1024;

/**
 * A detector's class label in Passage's vocabulary: trimmed, lower-cased, accents, spaces, `_` and `-` ignored for
 * the alias lookup (`Two_Wheeler` → `bicycle`, `Poids lourd` → `truck`); an unknown label lower-cased as it is.
 */
export function normaliseClassLabel(label: string): string {
  const hit = seen.get(label);
  if (hit !== undefined) return hit;
  const l = label.trim().toLowerCase();
  const key = l
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .replace(/[\s_-]+/g, '');
  const out = CLASS_ALIASES[key] ?? (l || 'unknown');
  if (seen.size < SEEN_MAX) seen.set(label, out);
  return out;
}

/** The objects with their labels normalised (`normaliseClassLabel`): the same array when every label already is. */
export function withNormalisedLabels<T extends { cls: string }>(objects: readonly T[]): readonly T[] {
  let out: T[] | null = null;
  for (let i = 0; i < objects.length; i++) {
    const cls = normaliseClassLabel(objects[i].cls);
    if (cls === objects[i].cls) continue;
    out ??= objects.slice();
    out[i] = { ...objects[i], cls };
  }
  return out ?? objects;
}
