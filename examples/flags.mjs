// Reading the demos' command-line flags (node:util parseArgs strings) into checked values, with
// errors that name the flag, the rule and what was given.

/** Readers over parseArgs' `values`: `refuse` builds the error; `number` and `choice` check a flag. */
export function flagReaders(values) {
  const refuse = (flag, rule) => new Error(`--${flag} must be ${rule}, got ${JSON.stringify(values[flag])}`);
  const number = (flag, ok, rule) => {
    const x = Number(values[flag]);
    if (values[flag].trim() === '' || !ok(x)) throw refuse(flag, rule);
    return x;
  };
  const choice = (flag, choices) => {
    if (!choices.includes(values[flag])) throw refuse(flag, `one of ${choices.join(', ')}`);
    return values[flag];
  };
  return { refuse, number, choice };
}
