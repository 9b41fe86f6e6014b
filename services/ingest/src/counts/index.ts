export * from './csv-mapping.ts';
export * from './datex2.ts';
export * from './describe.ts';
export * from './generic.ts';
export type { CountsReason, CountsResult } from './result.ts';
export * from './sensorthings.ts';
export * from './telraam.ts';
export { parseXml, type XmlElement } from './xml.ts';
