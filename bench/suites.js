// Each suite: { name, run({ log }) -> [{ metric, value, unit, goal?, met? }] }. Areas append theirs.
export const suites = [];
