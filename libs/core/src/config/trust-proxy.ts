import { isIP } from 'node:net';

/**
 * Which hops in front of the api may tell it the client's address (X-Forwarded-For), in the forms
 * Express' `trust proxy` setting takes: `false` (none: the socket's peer is the client), a number
 * of hops, or a list of addresses, CIDR subnets and the names `loopback`, `linklocal`, `uniquelocal`.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The most hops a deployment plausibly has between the client and the api. */
export const MAX_TRUSTED_HOPS = 10;

function isAddressOrSubnet(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Reads TRUST_PROXY: a hop count (`0` trusts none, `1` the one proxy in front) or a comma-separated
 * list of addresses, CIDR subnets and named ranges. `true` ("trust every hop") is refused on
 * purpose: it lets any client choose its own address, and so its own rate-limit bucket.
 * Returns undefined for anything else.
 */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const value = raw.trim().toLowerCase();
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_TRUSTED_HOPS) return undefined;
    return hops === 0 ? false : hops;
  }
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0 || entries.length > 100) return undefined;
  return entries.every((e) => NAMED_RANGES.has(e) || isAddressOrSubnet(e)) ? entries : undefined;
}
