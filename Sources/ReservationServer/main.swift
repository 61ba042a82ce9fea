print("reservation-server")
