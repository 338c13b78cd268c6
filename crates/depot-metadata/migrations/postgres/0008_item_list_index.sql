-- A library's item ids in name order, read from the index alone (the list of a
-- library's items is the most repeated content-library read).
CREATE INDEX library_items_list ON library_items (library_id, name, id);
