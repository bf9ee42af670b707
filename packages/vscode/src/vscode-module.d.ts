// The real `vscode` module exists only inside VS Code; the extension treats it as VscodeLike.
declare module "vscode" {
  const api: unknown;
  export = api;
}
