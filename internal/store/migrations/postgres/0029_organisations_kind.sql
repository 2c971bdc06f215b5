-- Routing to a department (store/route.go) looks for a department whose
-- name matches the category's and whose jurisdiction covers the place:
-- every case filed or dispatched to a department asks. Without an index on
-- the kind every organisation was read and matched by LIKE (0.17 ms a
-- case with the demo's 122, more with a city's property companies and
-- volunteer teams); through this only the departments are.
CREATE INDEX organisations_kind ON organisations (kind, region_code);
