/** The environment variables tkf reads (beside XDG_CONFIG_HOME and HOME for the config file). */
export const ENV = {
  token: 'TKF_TOKEN',
  baseUrl: 'TKF_BASE_URL',
  /** The history database of `tkf export --db` and `tkf history --db`. */
  db: 'TKF_DB',
} as const;
