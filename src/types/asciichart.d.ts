// Minimal typings for the parts of asciichart shiren uses.
declare module 'asciichart' {
  export function plot(series: number[] | number[][], config?: { height?: number; format?: (x: number) => string; colors?: string[] }): string;
}
