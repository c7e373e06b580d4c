/** A LIKE pattern for values starting with `prefix`, its wildcards escaped (use with `escape '\'`). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
