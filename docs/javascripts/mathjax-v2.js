// MathJax 2 (bundled under assets/mathjax by docs/gen/hooks.py), read before MathJax.js loads.
// pymdownx.arithmatex (generic mode) writes \( \) and \[ \] inside elements of class "arithmatex".
window.MathJax = {
  config: ["TeX-AMS-MML_HTMLorMML-full.js"],
  tex2jax: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    ignoreClass: ".*|",
    processClass: "arithmatex",
  },
  "HTML-CSS": { availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null },
  showMathMenu: false,
  messageStyle: "none",
};
