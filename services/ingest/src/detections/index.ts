export {
  type DeepStreamObjectMessage,
  type DeepStreamOptions,
  FrameGrouper,
  type FrameGrouperOptions,
  parseDeepStream,
  parseDeepStreamFull,
  parseDeepStreamMinimal,
} from './deepstream.ts';
export { type GenericOptions, parseDetectionFrame } from './generic.ts';
export { type MotOptions, parseMotChallenge } from './mot.ts';
export {
  DEFAULT_MAX_BYTES,
  type DetectionsFailure,
  type DetectionsReason,
  type DetectionsResult,
  MAX_OBJECTS,
  parseRfc3339,
} from './result.ts';
