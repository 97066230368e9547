/* aedemo data: {{ note }} */
(window.AEDEMO_DATA = window.AEDEMO_DATA || {})[{{ key|tojson }}] = {{ value|tojson }};
