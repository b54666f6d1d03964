// Labels and annotations as GraphQL `Label` lists, sorted by key so results are stable.

export interface LabelModel {
  key: string;
  value: string;
}

export function toLabelList(map: Readonly<Record<string, string>> | undefined): LabelModel[] {
  if (!map) return [];
  return Object.keys(map)
    .sort()
    .map((key) => ({ key, value: map[key] ?? '' }));
}
