export { type Assignment, AssignmentSolver, linearSumAssignment } from './lsap.ts';
