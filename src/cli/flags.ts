import { Flags } from '@oclif/core';
import { kebab, type OptionSpec, type OptionsSpec } from '../options.js';

/**
 * A unit's declared options as oclif flags. Values stay strings here and are validated by
 * normalizeOptions, so the CLI and the TypeScript API report mistakes the same way.
 */
export function flagName(name: string, spec: OptionSpec): string {
  return spec.flag ?? kebab(name);
}

export function flagsFor(spec: OptionsSpec) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's flag types are per-flag generics
  const flags: Record<string, any> = {};
  for (const [name, s] of Object.entries(spec)) {
    const extra: string[] = [];
    if ('choices' in s && s.choices) extra.push(`one of: ${s.choices.join(', ')}`);
    if ('min' in s && s.min !== undefined) extra.push(`min ${s.min}`);
    if ('max' in s && s.max !== undefined) extra.push(`max ${s.max}`);
    if (s.default !== undefined && s.type !== 'boolean') extra.push(`default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}`);
    const description = extra.length > 0 ? `${s.description} [${extra.join('; ')}]` : s.description;
    const char = s.char as 'o' | undefined;
    flags[flagName(name, s)] =
      s.type === 'boolean'
        ? Flags.boolean({ description, allowNo: true, char })
        : Flags.string({ description, char, required: s.required });
  }
  return flags;
}

/** Parsed flags -> raw options for normalizeOptions (only the options of `spec`). */
export function optionsFromFlags(spec: OptionsSpec, flags: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const v = flags[flagName(name, s)];
    if (v !== undefined) raw[name] = v;
  }
  return raw;
}
