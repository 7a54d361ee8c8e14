/**
 * The mapping modes, in the order they run (which is also the order that decides which mapper
 * keeps an item two of them produce). A new mode is one file exporting a `Mapper` plus one line here.
 */
import { groupsPatternMapper } from './groups-pattern.ts';
import { rulesMapper } from './rules.ts';
import { staticMapper } from './static.ts';
import type { Mapper, MapperResult, MapperRun, MapperSetup } from './types.ts';

/** A mapper bound to its compiled plan, ready to run on each login. */
export interface PreparedMapper {
  readonly name: string;
  evaluate(run: MapperRun): MapperResult;
}

export interface RegisteredMapper {
  readonly name: string;
  /** Validates and compiles; null when the provisioning block does not use this mapper. */
  prepare(setup: MapperSetup): PreparedMapper | null;
}

function register<Plan>(mapper: Mapper<Plan>): RegisteredMapper {
  return {
    name: mapper.name,
    prepare(setup) {
      const plan = mapper.validate(setup);
      if (plan === null) return null;
      return { name: mapper.name, evaluate: (run) => mapper.evaluate(plan, run) };
    },
  };
}

export const MAPPERS: readonly RegisteredMapper[] = [register(staticMapper), register(groupsPatternMapper), register(rulesMapper)];
