/**
 * A per-document cache keyed by uri + version: one parse per document version, shared by every
 * feature (diagnostics, completion, hover, ...). An entry is replaced when a newer version is asked
 * for and dropped when the document closes, so memory follows the open documents.
 */
export class VersionedCache<T> {
  private readonly entries = new Map<string, { version: number; value: T }>();

  /** The value for this uri and version, computing it once. */
  get(uri: string, version: number, compute: () => T): T {
    const hit = this.entries.get(uri);
    if (hit && hit.version === version) return hit.value;
    const value = compute();
    this.entries.set(uri, { version, value });
    return value;
  }

  /** The cached value when it is of this version. */
  peek(uri: string, version: number): T | undefined {
    const hit = this.entries.get(uri);
    return hit && hit.version === version ? hit.value : undefined;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
