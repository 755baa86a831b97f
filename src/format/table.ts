/**
 * cli-table3, for the views that draw tables. Those views import() this module, so that no other
 * command loads cli-table3; this module imports it statically, so that in the executable's bundle
 * it is reached through require(): the bundle may not import() at run time (src/launch.cts).
 */
import Table from 'cli-table3';

export default Table;
