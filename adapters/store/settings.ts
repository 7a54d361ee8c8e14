/** The settings port on knex: JSON values by key, changed at run time without a restart. */
import type { SettingsStore } from '../../plugin/ports.ts';
import type { Row } from './rows.ts';
import type { SqlContext } from './sql.ts';

/** The settings port on the runner of `c`. */
export function knexSettings(c: SqlContext): SettingsStore {
  const { db, t } = c;
  const getSetting = async <T = unknown>(key: string): Promise<T | null> => {
    const r = (await db(t('settings')).where({ key }).first()) as Row | undefined;
    return r ? (JSON.parse(String(r.value)) as T) : null;
  };
  return {
    getSetting,

    async setSetting(key, value) {
      await db(t('settings')).insert({ key, value: JSON.stringify(value), updated_at: c.now() }).onConflict('key').merge(['value', 'updated_at']);
    },

    async claimSetting<T>(key: string, value: T): Promise<T> {
      await db(t('settings')).insert({ key, value: JSON.stringify(value), updated_at: c.now() }).onConflict('key').ignore();
      return (await getSetting<T>(key)) as T;
    },
  };
}
