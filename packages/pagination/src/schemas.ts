import * as v from 'valibot';

// Option schemas shared by the strategies.
export const param = v.pipe(v.string(), v.minLength(1));
export const extractorSchema = v.union([v.string(), v.function()]);
export const count = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));
