/** A timestamp column as Laravel wrote it, from SQL, so an expected payload owes nothing to the server's encoder. */
export const laravelTimestampSql = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${column}`;
