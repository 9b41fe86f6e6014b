/** The error base lives in `@passage/core` (which depends on nothing of ours); re-exported here for the services. */
export { type ErrorDomain, isPassageError, PassageError, type PassageErrorOptions } from '@passage/core/errors';
