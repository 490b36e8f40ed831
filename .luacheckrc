std = 'lua54'
max_line_length = 120
files['spec/'] = { std = '+busted' }
files['bench/'] = { std = 'lua54' }
exclude_files = { 'build*/**', 'spec/fixtures/**' }
-- LuaLS definition files: empty functions whose arguments only document,
-- class tables that are only annotated, long one-line type descriptions
files['types/'] = { ignore = { '212', '241', '631' } }
