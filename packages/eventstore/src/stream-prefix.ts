/** No prefixes (or an empty list) means every stream. */
export const matchesStreamPrefixes = (streamName: string, prefixes: readonly string[] | undefined): boolean =>
  prefixes === undefined || prefixes.length === 0 || prefixes.some((prefix) => streamName.startsWith(prefix));
