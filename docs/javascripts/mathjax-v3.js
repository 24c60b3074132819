// MathJax 3 (from a CDN, when the bundled copy is not installed), read before MathJax loads.
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
