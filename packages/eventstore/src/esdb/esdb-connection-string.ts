import { z } from 'zod';

const esdbUrlSchema = z
  .string()
  .regex(
    /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//,
    'an esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover:// URL',
  );

/** Whether `url` names an EventStoreDB/KurrentDB node or cluster. */
export const isEsdbUrl = (url: string): boolean => esdbUrlSchema.safeParse(url).success;

/**
 * KurrentDB is EventStoreDB renamed; @eventstore/db-client only knows the esdb schemes,
 * so kurrentdb:// (and kurrent://) URLs are rewritten to them.
 */
export const toEsdbConnectionString = (url: string): string =>
  esdbUrlSchema
    .parse(url)
    .replace(/^kurrent(db)?(\+discover)?:\/\//, (_match, _db, discover) =>
      discover ? 'esdb+discover://' : 'esdb://',
    );
