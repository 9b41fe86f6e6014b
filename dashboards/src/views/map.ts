/**
 * The flow map: deck.gl layers only draw what the shaping modules computed. Without a map style the base map is
 * the offline GeoJSON (communes, scenario streets and zones) drawn by deck.gl itself; with a MapLibre style URL
 * (config `api.mapStyleUrl`) a MapLibre map draws the base map and deck.gl draws over it (MapboxOverlay, its own
 * canvas synchronised with the map's camera). MapLibre is loaded on demand, only when a style is configured.
 */
import { Deck, type DeckProps, type Layer, type PickingInfo } from '@deck.gl/core';
import { ArcLayer, GeoJsonLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import type { ClusterMarker } from '../shape/cluster.ts';
import type { Arc, Site } from '../shape/od.ts';
import { siteRadius } from '../shape/od.ts';

export interface MapData {
  communes: unknown;
  basemap: unknown;
  sites: Site[];
  arcs: Arc[];
  /** Clusters of several zones (flow clustering on); drawn as discs. */
  clusters: ClusterMarker[];
  liveSites?: ReadonlySet<string>;
  /** OD zones drawn as labelled, clickable discs above the arcs. */
  zones?: ZoneMarker[];
  selectedZone?: string | null;
}

export interface ZoneMarker {
  id: string;
  name: string;
  lon: number;
  lat: number;
}

export interface FlowMapOptions {
  parent: HTMLDivElement | HTMLElement;
  center: [number, number];
  zoom?: number;
  /** MapLibre style URL drawn under the flows; empty or null = the offline GeoJSON base map. */
  styleUrl?: string | null;
  onSiteClick: (s: Site) => void;
  /** Click on a zone disc or label (null: click on the map outside any object). */
  onZoneClick?: (zone: string | null) => void;
  tooltip: (o: { arc?: Arc; site?: Site; cluster?: ClusterMarker; zone?: ZoneMarker }) => string | null;
  /** Called after a frame with OD arcs was drawn (count of arcs). */
  onOdDrawn?: (arcs: number) => void;
  /** Called when the view zoom changes (pan and zoom by the user). */
  onZoom?: (zoom: number) => void;
}

type Feature = { properties?: { layer?: string; kind?: string } };
type Sink = { setProps(props: { layers: Layer[] }): void; finalize(): void };
const EMPTY = { type: 'FeatureCollection', features: [] } as const;

export class FlowMap {
  private sink!: Sink;
  private data: MapData = { communes: null, basemap: null, sites: [], arcs: [], clusters: [] };
  private pendingArcs = -1;
  private canvas: HTMLCanvasElement | null = null;
  private redraw: () => void = () => {};
  private jump: (center: [number, number]) => void = () => {};
  private snapshotWaiters: ((png: string) => void)[] = [];
  /** 'offline' (deck.gl draws the GeoJSON base map), 'style' (MapLibre draws it), 'style-failed' (fell back). */
  private base: 'offline' | 'style' | 'style-failed' = 'offline';
  /**
   * False until a frame with the OD arcs was drawn. Until then only the arcs and cluster discs are drawn: with
   * software WebGL each layer type's first draw costs its shader compilation (and the labels a font atlas), ~2 s for
   * the base map, sites and labels together, which would delay the first OD map.
   */
  private odShown = false;

  private constructor(private readonly opts: FlowMapOptions) {}

  /** Creates the map: MapLibre + deck.gl overlay when `styleUrl` is set, else deck.gl alone. */
  static async create(opts: FlowMapOptions): Promise<FlowMap> {
    const m = new FlowMap(opts);
    if (opts.styleUrl) await m.initStyled(opts.styleUrl);
    else m.initOffline();
    return m;
  }

  /** Which base map is drawn. */
  get baseMap(): 'offline' | 'style' | 'style-failed' {
    return this.base;
  }

  private deckProps(): Partial<DeckProps> {
    return {
      useDevicePixels: 1,
      getTooltip: (info: PickingInfo) => {
        const o = info.object as Arc | Site | ClusterMarker | ZoneMarker | undefined;
        if (!o) return null;
        const text =
          'source' in o
            ? this.opts.tooltip({ arc: o })
            : 'zones' in o
              ? this.opts.tooltip({ cluster: o })
              : info.layer?.id.startsWith('od-zone')
                ? this.opts.tooltip({ zone: o as ZoneMarker })
                : this.opts.tooltip({ site: o as Site });
        // Tooltips stay inside the map (never under the side panel), wrap long names.
        return text
          ? { text, style: { whiteSpace: 'pre-wrap', fontSize: '12px', maxWidth: '260px', zIndex: '5' } }
          : null;
      },
      onClick: (info: PickingInfo) => {
        if (!info.object) this.opts.onZoneClick?.(null);
      },
      onAfterRender: ({ gl }: { gl?: WebGL2RenderingContext }) => {
        if (this.snapshotWaiters.length && gl) {
          // Read the frame just drawn (the drawing buffer is still valid inside the render callback).
          const png = (gl.canvas as HTMLCanvasElement).toDataURL('image/png');
          for (const w of this.snapshotWaiters.splice(0)) w(png);
        }
        if (this.pendingArcs >= 0) {
          const n = this.pendingArcs;
          this.pendingArcs = -1;
          this.opts.onOdDrawn?.(n);
          if (!this.odShown) {
            // The first OD frame is drawn: the base map, sites and labels follow in the next frames.
            this.odShown = true;
            setTimeout(() => this.update({}), 0);
          }
        }
      },
      layers: [],
    };
  }

  private initOffline(): void {
    const deck = new Deck({
      ...this.deckProps(),
      parent: this.opts.parent as HTMLDivElement,
      initialViewState: {
        longitude: this.opts.center[0],
        latitude: this.opts.center[1],
        zoom: this.opts.zoom ?? 14.6,
        pitch: 0,
        bearing: 0,
      },
      controller: true,
      onLoad: () => {
        this.canvas = deck.getCanvas();
      },
      onViewStateChange: ({ viewState }) => {
        this.opts.onZoom?.((viewState as { zoom: number }).zoom);
      },
    });
    this.redraw = () => deck.redraw('snapshot');
    this.jump = ([longitude, latitude]) =>
      deck.setProps({ initialViewState: { longitude, latitude, zoom: this.opts.zoom ?? 14.6, pitch: 0, bearing: 0 } });
    this.sink = {
      setProps: (p) => deck.setProps(p),
      finalize: () => deck.finalize(),
    };
  }

  private async initStyled(styleUrl: string): Promise<void> {
    const [{ Map: MapLibreMap, AttributionControl }, { MapboxOverlay }] = await Promise.all([
      import('maplibre-gl'),
      import('@deck.gl/mapbox'),
      import('maplibre-gl/dist/maplibre-gl.css'),
    ]);
    this.base = 'style';
    const map = new MapLibreMap({
      container: this.opts.parent,
      style: new URL(styleUrl, location.href).href,
      center: this.opts.center,
      zoom: this.opts.zoom ?? 14.6,
      attributionControl: false,
      pixelRatio: 1,
    });
    map.addControl(new AttributionControl({ compact: true }), 'bottom-left');
    let loaded = false;
    map.once('load', () => {
      loaded = true;
      this.opts.parent.dataset.mapStyle = 'loaded';
    });
    map.on('error', () => {
      // The style itself could not be loaded: fall back to the offline base map drawn by deck.gl.
      if (!loaded && this.base === 'style' && !map.isStyleLoaded()) {
        this.base = 'style-failed';
        this.opts.parent.dataset.mapStyle = 'failed';
        this.update({});
      }
    });
    map.on('zoom', () => this.opts.onZoom?.(map.getZoom()));
    const overlay = new MapboxOverlay({ ...this.deckProps(), interleaved: false });
    map.addControl(overlay);
    this.redraw = () => map.triggerRepaint();
    this.jump = (center) => map.jumpTo({ center });
    this.sink = {
      setProps: (p) => overlay.setProps(p),
      finalize: () => {
        map.removeControl(overlay);
        map.remove();
      },
    };
  }

  /**
   * Moves the view to `center` (zoom kept). The map is created before the data extent is known, so that the WebGL
   * context and the arcs' shaders are ready while the first requests are answered; it is centred when they are.
   */
  recenter(center: [number, number]): void {
    this.jump(center);
  }

  /** PNG (data URL) of the next frame drawn: the flows as shown, over the offline base map. */
  snapshot(): Promise<string> {
    return new Promise((resolve) => {
      this.snapshotWaiters.push(resolve);
      this.redraw();
    });
  }

  /** The drawing canvas (deck.gl's). */
  get drawingCanvas(): HTMLCanvasElement | null {
    return this.canvas;
  }

  update(patch: Partial<MapData>): void {
    this.data = { ...this.data, ...patch };
    if (patch.arcs) this.pendingArcs = patch.arcs.length;
    const d = this.data;
    const styled = this.base === 'style';
    const markers = d.sites.filter((s) => s.kind !== 'zone');
    const maxVol = markers.reduce((m, s) => Math.max(m, s.volume ?? 0), 0);
    const basemap = (d.basemap ?? EMPTY) as { type: string; features: Feature[] };
    const labelProps = {
      pickable: true,
      getPosition: (o: { lon: number; lat: number }) => [o.lon, o.lat] as [number, number],
      getSize: 12,
      fontFamily: 'system-ui, sans-serif',
      characterSet: 'auto' as const,
      outlineWidth: 2,
      outlineColor: [15, 23, 32, 255] as [number, number, number, number],
      fontSettings: { sdf: true },
      parameters: { depthCompare: 'always' as const },
    };
    const arcsFirst = !this.odShown;
    this.sink.setProps({
      layers: [
        // With a MapLibre style the communes and streets come from the style; the scenario zones stay.
        styled
          ? null
          : new GeoJsonLayer({
              id: 'communes',
              data: (d.communes ?? EMPTY) as never,
              stroked: true,
              filled: true,
              getFillColor: [30, 41, 55, 255],
              getLineColor: [90, 100, 115, 255],
              lineWidthMinPixels: 1,
            }),
        new GeoJsonLayer({
          id: styled ? 'basemap-zones' : 'basemap',
          data: (styled
            ? { ...basemap, features: (basemap.features ?? []).filter((f) => f.properties?.layer === 'zones') }
            : basemap) as never,
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
        // Cluster discs above the arcs (their ends meet under the disc), as flowmap.gl draws its locations.
        new ScatterplotLayer<ClusterMarker>({
          id: 'od-clusters',
          data: d.clusters,
          pickable: true,
          getPosition: (c) => [c.lon, c.lat],
          getRadius: (c) => c.radiusPx,
          radiusUnits: 'pixels',
          getFillColor: [175, 120, 255, 190],
          getLineColor: [225, 205, 255, 255],
          stroked: true,
          lineWidthMinPixels: 2,
          parameters: { depthCompare: 'always' },
        }),
        // Cluster names ("Marché +1") above their discs.
        new TextLayer<ClusterMarker>({
          ...labelProps,
          id: 'od-cluster-labels',
          data: d.clusters,
          getText: (c) => c.name,
          getColor: [235, 225, 255, 255],
          getPixelOffset: (c) => [0, -c.radiusPx - 8],
        }),
        new ScatterplotLayer<Site>({
          id: 'sites',
          parameters: { depthCompare: 'always' },
          data: markers,
          pickable: true,
          getPosition: (s) => [s.lon, s.lat],
          // Pixels, small: sites never hide each other or the zones at city zoom (area still follows volume).
          getRadius: (s) => siteRadius(s.volume, maxVol, 4, 11),
          radiusUnits: 'pixels',
          getFillColor: (s) => (s.kind === 'counter' ? [80, 170, 255, 200] : [40, 200, 220, 200]),
          // A site with data in the live minute gets a green ring; its fill (its kind) does not change.
          getLineColor: (s) => (d.liveSites?.has(s.id) ? [120, 255, 200, 255] : [230, 250, 255, 255]),
          getLineWidth: (s) => (d.liveSites?.has(s.id) ? 3 : 1),
          lineWidthUnits: 'pixels',
          stroked: true,
          lineWidthMinPixels: 1,
          onClick: (info) => {
            if (info.object) this.opts.onSiteClick(info.object);
          },
          updateTriggers: {
            getRadius: [maxVol, markers.length],
            getLineColor: [d.liveSites],
            getLineWidth: [d.liveSites],
          },
        }),
        // Zones above the arcs (arc ends meet under the disc), labelled; a click selects the zone.
        new ScatterplotLayer<ZoneMarker>({
          id: 'od-zones',
          data: d.zones ?? [],
          pickable: true,
          getPosition: (z) => [z.lon, z.lat],
          getRadius: (z) => (z.id === d.selectedZone ? 9 : 6),
          radiusUnits: 'pixels',
          getFillColor: (z) => (z.id === d.selectedZone ? [255, 230, 120, 255] : [210, 220, 235, 230]),
          getLineColor: [15, 23, 32, 255],
          stroked: true,
          lineWidthMinPixels: 1.5,
          parameters: { depthCompare: 'always' },
          onClick: (info) => {
            if (info.object) this.opts.onZoneClick?.(info.object.id);
          },
          updateTriggers: { getRadius: [d.selectedZone], getFillColor: [d.selectedZone] },
        }),
        new TextLayer<ZoneMarker>({
          ...labelProps,
          id: 'od-zone-labels',
          data: d.zones ?? [],
          getText: (z) => z.name,
          getColor: (z) => (z.id === d.selectedZone ? [255, 230, 120, 255] : [235, 240, 248, 255]),
          getPixelOffset: [0, -14],
          onClick: (info) => {
            if (info.object) this.opts.onZoneClick?.(info.object.id);
          },
          updateTriggers: { getColor: [d.selectedZone] },
        }),
      ].filter(
        (l): l is NonNullable<typeof l> => l !== null && (!arcsFirst || l.id === 'od-arcs' || l.id === 'od-clusters'),
      ) as Layer[],
    });
  }

  finalize(): void {
    this.sink.finalize();
  }
}
