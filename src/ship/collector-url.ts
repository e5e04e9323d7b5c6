/**
 * The URL requests go to: a collector URL without a path (or with only `/`) gets the
 * protocol's standard path; a URL with a path is used as given. Query kept. Pure.
 */
export function collectorUrl(url: URL, defaultPath: string): URL {
  if (url.pathname !== '/' && url.pathname !== '') return new URL(url.href);
  const out = new URL(url.href);
  out.pathname = defaultPath;
  return out;
}
