/** The flow map: deck.gl layers only draw what the shaping modules computed. */
import { Deck, type PickingInfo } from '@deck.gl/core';
import { ArcLayer, GeoJsonLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Arc, Site } from '../shape/od.ts';
import { siteRadius } from '../shape/od.ts';

export interface MapData {
  communes: unknown;
  basemap: unknown;
  sites: Site[];
  arcs: Arc[];
  liveSites?: ReadonlySet<string>;
}

export interface FlowMapOptions {
  parent: HTMLDivElement | HTMLElement;
  center: [number, number];
  zoom?: number;
  onSiteClick: (s: Site) => void;
  tooltip: (o: { arc?: Arc; site?: Site }) => string | null;
  /** Called after a frame with OD arcs was drawn (count of arcs). */
  onOdDrawn?: (arcs: number) => void;
}

type Feature = { properties?: { layer?: string; kind?: string } };

export class FlowMap {
  private readonly deck: Deck;
  private data: MapData = { communes: null, basemap: null, sites: [], arcs: [] };
  private pendingArcs = -1;

  constructor(private readonly opts: FlowMapOptions) {
    this.deck = new Deck({
      parent: opts.parent as HTMLDivElement,
      initialViewState: {
        longitude: opts.center[0],
        latitude: opts.center[1],
        zoom: opts.zoom ?? 14.6,
        pitch: 0,
        bearing: 0,
      },
      controller: true,
      useDevicePixels: 1,
      getTooltip: (info: PickingInfo) => {
        const o = info.object as Arc | Site | undefined;
        if (!o) return null;
        const text = 'source' in o ? opts.tooltip({ arc: o }) : opts.tooltip({ site: o as Site });
        return text ? { text, style: { whiteSpace: 'pre', fontSize: '12px' } } : null;
      },
      onAfterRender: () => {
        if (this.pendingArcs >= 0 && this.deck.isInitialized) {
          const n = this.pendingArcs;
          this.pendingArcs = -1;
          opts.onOdDrawn?.(n);
        }
      },
      layers: [],
    });
  }

  update(patch: Partial<MapData>): void {
    this.data = { ...this.data, ...patch };
    if (patch.arcs) this.pendingArcs = patch.arcs.length;
    const d = this.data;
    const markers = d.sites.filter((s) => s.kind !== 'zone');
    const maxVol = markers.reduce((m, s) => Math.max(m, s.volume ?? 0), 0);
    this.deck.setProps({
      layers: [
        new GeoJsonLayer({
          id: 'communes',
          data: (d.communes ?? { type: 'FeatureCollection', features: [] }) as never,
          stroked: true,
          filled: true,
          getFillColor: [30, 41, 55, 255],
          getLineColor: [90, 100, 115, 255],
          lineWidthMinPixels: 1,
        }),
        new GeoJsonLayer({
          id: 'basemap',
          data: (d.basemap ?? { type: 'FeatureCollection', features: [] }) as never,
          stroked: true,
          filled: true,
          getFillColor: (f: Feature) => (f.properties?.layer === 'zones' ? [70, 90, 130, 90] : [0, 0, 0, 0]),
          getLineColor: (f: Feature) =>
            f.properties?.layer === 'zones'
              ? [110, 130, 170, 200]
              : f.properties?.kind === 'boulevard'
                ? [150, 155, 165, 255]
                : f.properties?.kind === 'pedestrian'
                  ? [120, 150, 120, 255]
                  : [115, 120, 130, 255],
          getLineWidth: (f: Feature) => (f.properties?.kind === 'boulevard' ? 10 : 5),
          lineWidthUnits: 'meters',
          lineWidthMinPixels: 1,
        }),
        new ScatterplotLayer<Site>({
          id: 'sites',
          data: markers,
          pickable: true,
          getPosition: (s) => [s.lon, s.lat],
          getRadius: (s) => siteRadius(s.volume, maxVol),
          radiusUnits: 'meters',
          getFillColor: (s) =>
            d.liveSites?.has(s.id)
              ? [120, 255, 200, 230]
              : s.kind === 'counter'
                ? [80, 170, 255, 200]
                : [40, 200, 220, 200],
          getLineColor: [230, 250, 255, 255],
          stroked: true,
          lineWidthMinPixels: 1,
          onClick: (info) => {
            if (info.object) this.opts.onSiteClick(info.object);
          },
          updateTriggers: { getRadius: [maxVol, markers.length], getFillColor: [d.liveSites?.size ?? 0] },
        }),
        new ArcLayer<Arc>({
          id: 'od-arcs',
          data: d.arcs,
          pickable: true,
          getSourcePosition: (a) => a.source,
          getTargetPosition: (a) => a.target,
          getSourceColor: [255, 150, 0, 235],
          getTargetColor: [235, 40, 70, 235],
          getWidth: (a) => a.width,
          widthUnits: 'pixels',
          getHeight: 0.5,
          // Tilted sideways so that A→B and B→A are two visible arcs in the top-down view; no depth test (flat map).
          getTilt: 22,
          greatCircle: false,
          parameters: { depthCompare: 'always' },
          updateTriggers: { getWidth: [d.arcs] },
        }),
      ],
    });
  }

  finalize(): void {
    this.deck.finalize();
  }
}
