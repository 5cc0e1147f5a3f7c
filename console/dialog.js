// One modal dialog (<dialog>, so focus is trapped and Escape closes it).
import {fill} from './dom.js';

const dialog = () => document.getElementById('dialog');
let returnFocus = null;
let onClose = null;

// Opens the dialog with `title` and `content`; `closed` runs when it closes.
export function openDialog(title, content, closed = null) {
  const d = dialog();
  if (d.open) d.close();
  returnFocus = document.activeElement;
  onClose = closed;
  fill(document.getElementById('dialog-title'), title);
  fill(document.getElementById('dialog-body'), content);
  d.showModal();
  const first = d.querySelector('#dialog-body input, #dialog-body select, #dialog-body button');
  (first ?? document.getElementById('dialog-close')).focus();
}

export function closeDialog() {
  const d = dialog();
  if (d.open) d.close();
}

export function setDialogContent(content) {
  fill(document.getElementById('dialog-body'), content);
}

function wire() {
  const d = dialog();
  document.getElementById('dialog-close').addEventListener('click', () => d.close());
  d.addEventListener('close', () => {
    const callback = onClose;
    onClose = null;
    callback?.();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  });
}

wire();
