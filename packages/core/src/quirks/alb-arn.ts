/**
 * An Application Load Balancer ARN (quirk albSignerHeader of contract/presets.json). Groups: 1 partition,
 * 3 region, 5 account, 6 name, 7 id.
 */
export const ALB_ARN_PATTERN = /^arn:(aws|aws-[a-z]+(-[a-z]+)*):elasticloadbalancing:([a-z]{2}(-[a-z]+)+-[0-9]+):([0-9]{12}):loadbalancer\/app\/([A-Za-z0-9-]{1,32})\/([0-9a-f]{1,32})$/

export interface AlbArn {
  readonly partition: string
  readonly region: string
}

/** The partition and region of a valid ALB ARN, or null when `text` is not one. */
export function parseAlbArn(text: string): AlbArn | null {
  const match = ALB_ARN_PATTERN.exec(text)
  if (!match) return null
  return { partition: match[1]!, region: match[3]! }
}
