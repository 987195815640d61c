// esbuild loads .css imports as text (scripts/build.mjs: loader '.css': 'text'); panels adopt them as constructed sheets.
declare module '*.css' {
  const text: string;
  export default text;
}
