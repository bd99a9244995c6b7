/**
 * The `http`-block lines that keep an nginx of our own (a test's proxy, the bench's nchan) out
 * of Debian's /var/lib/nginx: every temp path under `dir`, which must exist (nginx creates the
 * leaves). Debian's nginx is built with those paths, so without these lines a non-root or
 * concurrent nginx fails to start, or shares files with another.
 */
export function nginxTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `${kind}_temp_path ${dir}/${kind === 'client_body' ? 'body' : kind};`)
    .join('\n');
}
