import { InputError } from '@backstage/errors';

// The grammar of github.com/distribution/reference (the one Docker and containerd use).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST =
  '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const TAG_ONLY = new RegExp(`^${TAG}$`);

export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses an image reference, or throws an InputError saying what is wrong with it. */
export function parseImageReference(
  value: string,
  field = 'image',
): ImageReference {
  const m = REFERENCE.exec(value);
  if (!m || value.length > 255) {
    throw new InputError(
      `${field}: '${value}' is not a valid image reference (expected [registry/]path[:tag][@sha256:digest], lowercase path)`,
    );
  }
  const ref: ImageReference = { repository: m[1], tag: m[2], digest: m[3] };
  if (!ref.tag && !ref.digest) {
    throw new InputError(
      `${field}: '${value}' has no tag or digest; name an immutable version (':latest' is refused too)`,
    );
  }
  if (ref.tag === 'latest' && !ref.digest) {
    throw new InputError(
      `${field}: '${value}' uses ':latest', which is refused: a deploy must name a version that cannot move`,
    );
  }
  return ref;
}

/** Validates a bare tag (for `{ tag }` deploys). */
export function validateTag(tag: string): void {
  if (!TAG_ONLY.test(tag)) {
    throw new InputError(
      `tag: '${tag}' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
    );
  }
  if (tag === 'latest') {
    throw new InputError(
      `tag: 'latest' is refused: a deploy must name a version that cannot move`,
    );
  }
}

/** The repository part of an image that a Deployment runs now (tag and digest dropped). */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The tag (or short digest) of an image, for display. */
export function imageTag(image: string): string {
  const [name, digest] = image.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) return name.slice(colon + 1);
  return digest ? digest.slice(0, 19) : 'latest';
}
