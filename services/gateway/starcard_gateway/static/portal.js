/* The client portal's only script: a link with the token in its fragment (#token=...) is
   opened as /portal?token=..., and the Copy button copies the referral link. Without script
   the page works all the same: the link can be selected and copied by hand. */
(function () {
  "use strict";

  var hash = window.location.hash;
  if (document.body.hasAttribute("data-portal-signed-out") && hash.indexOf("#token=") === 0) {
    var token = decodeURIComponent(hash.slice("#token=".length));
    window.location.replace("/portal?token=" + encodeURIComponent(token));
    return;
  }

  function copyWith(button, field, status) {
    function copied() {
      status.textContent = "Link copied. Paste it into a message to a friend.";
      button.classList.add("is-copied");
      window.setTimeout(function () {
        button.classList.remove("is-copied");
      }, 2000);
    }
    function byHand() {
      field.focus();
      field.select();
      var done = false;
      try {
        done = document.execCommand("copy");
      } catch (ignored) {
        done = false;
      }
      if (done) {
        copied();
      } else {
        status.textContent = "The link is selected: copy it with your device's Copy command.";
      }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, byHand);
    } else {
      byHand();
    }
  }

  var buttons = document.querySelectorAll("[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!field || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copyWith(button, field, status);
    });
  });
})();
