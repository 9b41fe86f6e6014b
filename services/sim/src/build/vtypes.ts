/** Vehicle and pedestrian types with realistic dimensions (metres) per mode. */
export type Mode = 'pedestrian' | 'bicycle' | 'motorcycle' | 'car' | 'van' | 'truck' | 'bus';
export const MODES: readonly Mode[] = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'];

export interface VType {
  id: string;
  mode: Mode;
  vClass: string;
  lengthM: number;
  widthM: number;
  heightM: number;
  /** Share of this type within its mode. */
  share: number;
  /** Extra SUMO attributes (speeds in m/s). */
  sumo: Record<string, string | number>;
}

export const VTYPES: readonly VType[] = [
  // Cars: city car (Clio-size), compact (308-size), SUV (3008-size).
  {
    id: 'car_small',
    mode: 'car',
    vClass: 'passenger',
    lengthM: 4.05,
    widthM: 1.73,
    heightM: 1.45,
    share: 0.35,
    sumo: { accel: 2.6, decel: 4.5, sigma: 0.5, maxSpeed: 44, guiShape: 'passenger/hatchback' },
  },
  {
    id: 'car_compact',
    mode: 'car',
    vClass: 'passenger',
    lengthM: 4.4,
    widthM: 1.82,
    heightM: 1.46,
    share: 0.4,
    sumo: { accel: 2.6, decel: 4.5, sigma: 0.5, maxSpeed: 50, guiShape: 'passenger/sedan' },
  },
  {
    id: 'car_suv',
    mode: 'car',
    vClass: 'passenger',
    lengthM: 4.6,
    widthM: 1.86,
    heightM: 1.66,
    share: 0.25,
    sumo: { accel: 2.4, decel: 4.5, sigma: 0.5, maxSpeed: 50, guiShape: 'passenger/van' },
  },
  // Vans: small van (Kangoo-size), large panel van (Master-size).
  {
    id: 'van_small',
    mode: 'van',
    vClass: 'delivery',
    lengthM: 4.5,
    widthM: 1.86,
    heightM: 1.84,
    share: 0.55,
    sumo: { accel: 2.2, decel: 4.5, sigma: 0.5, maxSpeed: 40, guiShape: 'delivery' },
  },
  {
    id: 'van_large',
    mode: 'van',
    vClass: 'delivery',
    lengthM: 5.55,
    widthM: 2.07,
    heightM: 2.5,
    share: 0.45,
    sumo: { accel: 1.8, decel: 4.5, sigma: 0.5, maxSpeed: 36, guiShape: 'delivery' },
  },
  // Trucks: 19 t rigid delivery truck, 26 t rigid truck.
  {
    id: 'truck_rigid',
    mode: 'truck',
    vClass: 'truck',
    lengthM: 8.6,
    widthM: 2.55,
    heightM: 3.45,
    share: 0.7,
    sumo: { accel: 1.3, decel: 4, sigma: 0.5, maxSpeed: 25, guiShape: 'truck' },
  },
  {
    id: 'truck_heavy',
    mode: 'truck',
    vClass: 'truck',
    lengthM: 11.2,
    widthM: 2.55,
    heightM: 3.8,
    share: 0.3,
    sumo: { accel: 1.1, decel: 4, sigma: 0.5, maxSpeed: 25, guiShape: 'truck' },
  },
  // 12 m standard city bus.
  {
    id: 'bus_standard',
    mode: 'bus',
    vClass: 'bus',
    lengthM: 12,
    widthM: 2.55,
    heightM: 3.1,
    share: 1,
    sumo: { accel: 1.2, decel: 4, sigma: 0.3, maxSpeed: 20, guiShape: 'bus' },
  },
  // Motorcycles (rider seated included in the height) and 50 cc scooters.
  {
    id: 'motorcycle',
    mode: 'motorcycle',
    vClass: 'motorcycle',
    lengthM: 2.15,
    widthM: 0.82,
    heightM: 1.45,
    share: 0.55,
    sumo: { accel: 4, decel: 6, sigma: 0.5, maxSpeed: 50, guiShape: 'motorcycle' },
  },
  {
    id: 'scooter',
    mode: 'motorcycle',
    vClass: 'moped',
    lengthM: 1.85,
    widthM: 0.7,
    heightM: 1.4,
    share: 0.45,
    sumo: { accel: 2.5, decel: 5, sigma: 0.5, maxSpeed: 12.5, guiShape: 'moped' },
  },
  // Bicycles (rider included in the height); e-bikes are a bit faster.
  {
    id: 'bicycle',
    mode: 'bicycle',
    vClass: 'bicycle',
    lengthM: 1.78,
    widthM: 0.62,
    heightM: 1.72,
    share: 0.75,
    sumo: {
      accel: 1.2,
      decel: 3,
      sigma: 0.5,
      maxSpeed: 5.5,
      desiredMaxSpeed: 5.5,
      speedDev: 0.15,
      guiShape: 'bicycle',
    },
  },
  {
    id: 'ebike',
    mode: 'bicycle',
    vClass: 'bicycle',
    lengthM: 1.85,
    widthM: 0.65,
    heightM: 1.72,
    share: 0.25,
    sumo: { accel: 1.5, decel: 3, sigma: 0.5, maxSpeed: 6.9, desiredMaxSpeed: 6.9, speedDev: 0.1, guiShape: 'bicycle' },
  },
  // Pedestrians (body depth, shoulder width, height).
  {
    id: 'ped_adult',
    mode: 'pedestrian',
    vClass: 'pedestrian',
    lengthM: 0.3,
    widthM: 0.5,
    heightM: 1.72,
    share: 0.8,
    sumo: { maxSpeed: 1.4, desiredMaxSpeed: 1.4, speedDev: 0.1 },
  },
  {
    id: 'ped_slow',
    mode: 'pedestrian',
    vClass: 'pedestrian',
    lengthM: 0.3,
    widthM: 0.48,
    heightM: 1.64,
    share: 0.2,
    sumo: { maxSpeed: 1.05, desiredMaxSpeed: 1.05, speedDev: 0.1 },
  },
];

export function vtypesByMode(mode: Mode): VType[] {
  return VTYPES.filter((v) => v.mode === mode);
}

export function vtypeById(id: string): VType {
  const v = VTYPES.find((t) => t.id === id);
  if (!v) throw new Error(`unknown vType ${id}`);
  return v;
}

/** `<vType>` elements (indented by two spaces) for the head of a routes file. */
export function vtypeElements(modes?: readonly Mode[]): string[] {
  const lines: string[] = [];
  for (const v of VTYPES) {
    if (modes && !modes.includes(v.mode)) continue;
    const extra = Object.entries(v.sumo)
      .map(([k, val]) => ` ${k}="${val}"`)
      .join('');
    lines.push(
      `  <vType id="${v.id}" vClass="${v.vClass}" length="${v.lengthM}" width="${v.widthM}" height="${v.heightM}"${extra}/>`,
    );
  }
  return lines;
}
