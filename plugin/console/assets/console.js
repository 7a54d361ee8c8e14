// Gatehouse admin console: small progressive enhancements. Every page works without this file.
'use strict';

(function () {
  const live = document.getElementById('live');
  const announce = (text) => {
    if (live) live.textContent = text;
  };

  // Copy buttons: <button data-copy-target="ID">, copies the text of #ID.
  document.querySelectorAll('button[data-copy-target]').forEach((button) => {
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.getAttribute('data-copy-target') || '');
      if (!target) return;
      const text = target.textContent || '';
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        // No clipboard permission (plain http, older browser): select the text for Ctrl+C.
        const range = document.createRange();
        range.selectNodeContents(target);
        const sel = window.getSelection();
        if (sel) {
          sel.removeAllRanges();
          sel.addRange(range);
        }
        announce('Selected: press Ctrl+C to copy');
        return;
      }
      button.textContent = 'Copied';
      announce('Copied to the clipboard');
    });
  });

  // Destructive forms ask first: <form data-confirm="Revoke this token?">.
  document.querySelectorAll('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm') || 'Are you sure?')) event.preventDefault();
    });
  });

  // Pickers that reload the page for another choice: <select data-autosubmit>.
  document.querySelectorAll('select[data-autosubmit]').forEach((select) => {
    select.addEventListener('change', () => {
      if (select.form) select.form.requestSubmit();
    });
  });

  // Custom payload rows: a button that adds one more key/value pair.
  document.querySelectorAll('button[data-add-row]').forEach((button) => {
    const list = document.getElementById(button.getAttribute('data-add-row') || '');
    if (!list) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      const rows = list.querySelectorAll('[data-row]');
      const last = rows[rows.length - 1];
      if (!last) return;
      const copy = last.cloneNode(true);
      const n = rows.length + 1;
      copy.querySelectorAll('input').forEach((input) => {
        input.value = '';
        const id = (input.id || 'row').replace(/-\d+$/, '') + '-' + n;
        const label = copy.querySelector('label[for="' + input.id + '"]');
        input.id = id;
        if (label) {
          label.setAttribute('for', id);
          label.textContent = (label.textContent || '').replace(/\d+$/, String(n));
        }
      });
      list.appendChild(copy);
      const first = copy.querySelector('input');
      if (first) first.focus();
    });
  });
})();
