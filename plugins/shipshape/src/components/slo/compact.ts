/** The SLO card's compact chart's size; the placeholder shown while recharts loads has the same. */
export const COMPACT = { width: 160, height: 36 } as const;
