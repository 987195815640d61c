/** The seed and size of the world behind the tiny model and the example datasets. */
export const SEED = 20260601;
export const WORLD_TOWNS = 60;
