/* Loaded in <head> without defer: the .js class switches the page to its JavaScript controls
   (.js-only shown, .no-js hidden) before anything is drawn. */
document.documentElement.classList.add("js");
