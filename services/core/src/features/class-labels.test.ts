import { describe, expect, it } from 'vitest';
import { normaliseClassLabel, withNormalisedLabels } from './class-labels.ts';
import { detectorClassIndex } from './track-features.ts';

describe('normaliseClassLabel', () => {
  it('maps DeepStream, COCO, VOC and BDD100K labels', () => {
    expect(
      ['Vehicle', 'Person', 'Bicycle', 'two_wheeler', 'motorbike', 'RoadSign', 'motor', 'bike'].map(
        normaliseClassLabel,
      ),
    ).toEqual(['vehicle', 'person', 'bicycle', 'bicycle', 'motorcycle', 'roadsign', 'motorcycle', 'bicycle']);
  });

  it('reads vendors’ and French labels whatever their case, accents, spaces, _ or -', () => {
    expect(
      ['CAR', 'LGV', 'HGV', 'Coach', 'Voiture', 'Vélo', 'Piéton', 'Poids lourd', 'poids-lourd', 'Camionnette'].map(
        normaliseClassLabel,
      ),
    ).toEqual(['car', 'van', 'truck', 'bus', 'car', 'bicycle', 'person', 'truck', 'truck', 'van']);
    // The vote reads them: an upper-case COCO label is a car vote, not an unknown class.
    expect(detectorClassIndex(normaliseClassLabel('Car'))).toBe(2);
    expect(detectorClassIndex('Car')).toBe(-1);
  });

  it('keeps unknown labels lower-cased, and rider as rider', () => {
    expect(['Traffic Light', '  Rider ', '', '   '].map(normaliseClassLabel)).toEqual([
      'traffic light',
      'rider',
      'unknown',
      'unknown',
    ]);
  });
});

describe('withNormalisedLabels', () => {
  it('returns the same array when every label is already normal, a copy with the others replaced', () => {
    const canonical = [
      { cls: 'car', score: 0.9 },
      { cls: 'person', score: 0.8 },
    ];
    expect(withNormalisedLabels(canonical)).toBe(canonical);
    const vendor = [
      { cls: 'car', score: 0.9 },
      { cls: 'Motorbike', score: 0.7 },
    ];
    const out = withNormalisedLabels(vendor);
    expect(out).not.toBe(vendor);
    expect(out).toEqual([
      { cls: 'car', score: 0.9 },
      { cls: 'motorcycle', score: 0.7 },
    ]);
    expect(out[0]).toBe(vendor[0]);
    expect(vendor[1].cls).toBe('Motorbike'); // the input is not changed
  });
});
