# Sourced by the CDNOW benchmarks (import.sh, value.sh): writes
# $1/customers.csv and $1/orders.csv from CDNOW_master.txt with the
# README's one-liners ("Bringing your data in").
cdnow_csv() { # cdnow_csv DIR
  local cdnow=../shared/data/cdnow/CDNOW_master.txt
  awk 'NR>1 && !seen[$1]++ {if (!h++) print "external_id,name"; print "cdnow-"$1",CDNOW "$1}' \
    $cdnow > "$1/customers.csv"
  awk '{sub(/\r$/, "")} NR==1 {print "external_id,customer_external_id,at,amount,items"} NR>1 {printf "cdnow-%d,cdnow-%s,%s-%s-%sT00:00:00Z,%s,\"[{\"\"cds\"\":%d}]\"\n", NR-1, $1, substr($2,1,4), substr($2,5,2), substr($2,7,2), $4, $3}' \
    $cdnow > "$1/orders.csv"
}
