import { Flags } from '@oclif/core';
import { flagOf, normalizeOptions, type OptionSpec, type OptionsSpec } from '../core/options.js';

/**
 * A unit's declared options as oclif flags. Values stay strings here and are validated by
 * normalizeOptions, so the CLI and the TypeScript API report mistakes the same way (the CLI
 * naming the flag the user typed, the API the option key).
 */
export function flagName(name: string, spec: OptionSpec): string {
  return flagOf(name, spec);
}

/** The help text of an option: its description, then its choices, range and default. */
function helpOf(s: OptionSpec): string {
  const extra: string[] = [];
  if ('choices' in s && s.choices) extra.push(`one of: ${s.choices.join(', ')}`);
  if ('min' in s && s.min !== undefined) extra.push(`min ${s.min}`);
  if ('max' in s && s.max !== undefined) extra.push(`max ${s.max}`);
  if (s.default !== undefined && s.type !== 'boolean') extra.push(`default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}`);
  return extra.length > 0 ? `${s.description} [${extra.join('; ')}]` : s.description;
}

export function flagsFor(spec: OptionsSpec) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's flag types are per-flag generics
  const flags: Record<string, any> = {};
  for (const [name, s] of Object.entries(spec)) {
    const description = helpOf(s);
    const char = s.char as 'o' | undefined;
    flags[flagName(name, s)] =
      s.type === 'boolean'
        ? Flags.boolean({ description, allowNo: true, char })
        : Flags.string({ description, char, required: s.required });
  }
  return flags;
}

/**
 * Parsed flags -> raw options for normalizeOptions (only the options of `spec`), checked here
 * first so a mistake names the flag (`noise: --rate must be ...`); the unit checks them again.
 */
export function optionsFromFlags(owner: string, spec: OptionsSpec, flags: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const v = flags[flagName(name, s)];
    if (v !== undefined) raw[name] = v;
  }
  normalizeOptions(owner, spec, raw, { flagNames: true });
  return raw;
}

/**
 * An integer flag outside a unit's options (e.g. --max-line-length), checked as the unit
 * options are: `<command>: --flag must be >= 1, got "0"` [E_OPTION], not oclif's
 * "Parsing --flag" without the value or the rule.
 */
export function integerFlag(flag: string, spec: { description: string; default: number; min?: number; max?: number }) {
  const option: OptionSpec = { type: 'integer', ...spec, flag };
  return Flags.custom<number>({
    description: spec.description, // oclif shows the default
    default: spec.default,
    parse: async (input, command) => {
      const owner = (command as { id?: string }).id?.replaceAll(':', ' ') ?? 'datagen';
      return normalizeOptions(owner, { value: option }, { value: input }, { flagNames: true }).value as number;
    },
  })();
}
