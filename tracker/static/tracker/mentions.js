/* @mention suggestions for a comment box: <textarea data-mention-url="…"> and, in its form, a
   <ul role="listbox" class="mention-choices">. Typing @ and the start of a user name asks the
   address (…?q=start) for people who may see the item; arrows choose, Enter or Tab puts the
   name in, Escape closes. A file, not inline script: the Content Security Policy allows
   scripts from this site only. The server decides who is told; this only helps typing. */
(function () {
  "use strict";
  var MENTION = /(^|[\s(\[])@([\w.+-]*)$/;

  function setUp(box) {
    var list = box.form && box.form.querySelector(".mention-choices");
    if (!list) {
      return;
    }
    var people = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      list.textContent = "";
      people = [];
      active = -1;
      box.removeAttribute("aria-activedescendant");
    }

    function started() {
      var before = box.value.slice(0, box.selectionStart);
      var match = MENTION.exec(before);
      return match ? match[2] : null;
    }

    function show(found) {
      list.textContent = "";
      people = found;
      active = found.length ? 0 : -1;
      found.forEach(function (person, index) {
        var option = document.createElement("li");
        option.id = list.id + "-" + index;
        option.setAttribute("role", "option");
        option.textContent = "@" + person.username + (person.name ? " (" + person.name + ")" : "");
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(index);
        });
        list.appendChild(option);
      });
      list.hidden = !found.length;
      mark();
    }

    function mark() {
      Array.prototype.forEach.call(list.children, function (option, index) {
        option.setAttribute("aria-selected", index === active ? "true" : "false");
      });
      if (active >= 0) {
        box.setAttribute("aria-activedescendant", list.id + "-" + active);
      }
    }

    function pick(index) {
      var person = people[index];
      var start = started();
      if (!person || start === null) {
        return close();
      }
      var caret = box.selectionStart;
      var from = caret - start.length;
      box.value = box.value.slice(0, from) + person.username + " " + box.value.slice(caret);
      box.selectionStart = box.selectionEnd = from + person.username.length + 1;
      close();
      box.focus();
    }

    function ask() {
      var start = started();
      if (start === null) {
        return close();
      }
      var mine = ++asked;
      var url = box.dataset.mentionUrl + "?q=" + encodeURIComponent(start);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { people: [] }; })
        .then(function (data) {
          if (mine === asked) {
            show(data.people || []);
          }
        })
        .catch(close);
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) {
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + people.length) % people.length;
        mark();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape") {
        close();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("textarea[data-mention-url]").forEach(setUp);
}());
