// MathJax 3 (bundled under assets/mathjax by docs/gen/hooks.py, else from a CDN), read before MathJax loads.
// pymdownx.arithmatex (generic mode) writes \( \) and \[ \] inside elements of class "arithmatex".
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex" },
};
